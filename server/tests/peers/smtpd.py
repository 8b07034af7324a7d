"""A real SMTP server for the mail tests (aiosmtpd): STARTTLS (or implicit TLS) and AUTH required.

Usage: smtpd.py PORT CERT KEY USER PASSWORD OUT_DIR [--implicit] [--login-only] [--no-auth]

--implicit: TLS from the first byte (smtps) instead of STARTTLS; --login-only: AUTH LOGIN is the
only mechanism offered (not PLAIN); --no-auth: STARTTLS is still required, AUTH is not.

Each message it accepts is written to OUT_DIR as <n>.json ({"from", "to", "data"}). It prints
"ready" once it listens and stops when its standard input closes (the test ended).
"""

import json
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def login_of(session):
    """Who authenticated (what the authenticator returned as auth_data), or ""."""
    data = session.auth_data
    if isinstance(data, bytes):
        return data.decode()
    return "" if data is None else str(data)


def main():
    port, cert, key, user, password, out = sys.argv[1:7]
    flags = sys.argv[7:]
    implicit = "--implicit" in flags
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    class Handler:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Handler.count += 1
            with open(os.path.join(out, f"{Handler.count}.json"), "w") as f:
                json.dump(
                    {
                        "from": envelope.mail_from,
                        "to": envelope.rcpt_tos,
                        "data": envelope.content.decode("utf-8", "replace"),
                        "tls": server.transport.get_extra_info("ssl_object") is not None,
                        "login": login_of(session),
                    },
                    f,
                )
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

    options = dict(
        hostname="127.0.0.1",
        port=int(port),
        auth_required="--no-auth" not in flags,
        authenticator=authenticator,
        server_hostname="localhost",
    )
    if "--login-only" in flags:
        options["auth_exclude_mechanism"] = ["PLAIN"]
    if implicit:
        controller = Controller(Handler(), ssl_context=context, auth_require_tls=False, **options)
    else:
        controller = Controller(
            Handler(), tls_context=context, require_starttls=True, auth_require_tls=True, **options
        )
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
