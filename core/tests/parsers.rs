//! Fuzzing the ACL parsers with proptest: address patterns, time windows and command groups
//! never panic on any input, round-trip through their text form, and match exactly what a
//! plain reference implementation says.

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc, Weekday};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};
use tollgate_core::*;

fn v4(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(n))
}

fn mapped(n: u32) -> IpAddr {
    IpAddr::V6(Ipv4Addr::from(n).to_ipv6_mapped())
}

/// Text that looks a little like what people type into these fields.
fn messy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9a-fA-F:./*\\- ]{0,40}",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(/[0-9]{1,3})?",
        "[0-9]{1,3}:[0-9]{1,3}-[0-9]{1,3}:[0-9]{1,3}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn address_patterns_never_panic_and_round_trip(text in messy(), probe in any::<u32>()) {
        if let Ok(p) = text.parse::<IpPattern>() {
            let again: IpPattern = p.to_string().parse().expect("its own text parses");
            prop_assert_eq!(again, p);
            // An IPv4 address and its IPv4-mapped IPv6 form are the same address.
            prop_assert_eq!(p.matches(v4(probe)), p.matches(mapped(probe)));
        }
        let _ = IpList::parse_text(&text);
    }

    #[test]
    fn cidr_networks_match_like_a_mask(net in any::<u32>(), prefix in 0u32..=32, probe in any::<u32>()) {
        let p: IpPattern = format!("{}/{prefix}", Ipv4Addr::from(net)).parse().unwrap();
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        prop_assert_eq!(p.matches(v4(probe)), probe & mask == net & mask);
        prop_assert!(p.matches(v4(net)));
        prop_assert!(!p.matches("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn ranges_match_like_a_comparison(a in any::<u32>(), b in any::<u32>(), probe in any::<u32>()) {
        let text = format!("{} - {}", Ipv4Addr::from(a), Ipv4Addr::from(b));
        match text.parse::<IpPattern>() {
            Ok(p) => {
                prop_assert!(a <= b);
                prop_assert_eq!(p.matches(v4(probe)), a <= probe && probe <= b);
            }
            Err(_) => prop_assert!(a > b, "{} refused", text),
        }
    }

    #[test]
    fn single_addresses_match_only_themselves(a in any::<u32>(), probe in any::<u32>()) {
        let p: IpPattern = Ipv4Addr::from(a).to_string().parse().unwrap();
        prop_assert_eq!(p.matches(v4(probe)), a == probe);
        prop_assert!(p.matches(mapped(a)));
    }

    #[test]
    fn time_ranges_never_panic_and_round_trip(text in messy()) {
        if let Ok(r) = text.parse::<TimeRange>() {
            let again: TimeRange = r.to_string().parse().expect("its own text parses");
            prop_assert_eq!(again, r);
        }
    }

    #[test]
    fn time_ranges_accept_exactly_the_valid_ones(h1 in 0u16..30, m1 in 0u16..70, h2 in 0u16..30, m2 in 0u16..70, probe in 0u16..1440) {
        let text = format!("{h1:02}:{m1:02}-{h2:02}:{m2:02}");
        let (start, end) = (h1 * 60 + m1, h2 * 60 + m2);
        let valid = m1 < 60 && m2 < 60 && start < end && end <= 24 * 60;
        match text.parse::<TimeRange>() {
            Ok(r) => {
                prop_assert!(valid, "{} accepted", text);
                prop_assert_eq!(r.contains(probe), start <= probe && probe < end);
                prop_assert_eq!(r.to_string(), text);
            }
            Err(_) => prop_assert!(!valid, "{} refused", text),
        }
    }

    #[test]
    fn time_windows_match_their_weekday_ranges(
        ranges in prop::collection::vec((0usize..7, 0u16..1440, 1u16..1440), 0..6),
        zone in prop::sample::select(vec!["UTC", "Europe/Paris", "Asia/Shanghai", "America/New_York", "Pacific/Chatham"]),
        secs in 1_700_000_000i64..1_900_000_000,
    ) {
        const DAYS: [Weekday; 7] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
        let mut days: Vec<(Weekday, Vec<String>)> = DAYS.iter().map(|d| (*d, vec![])).collect();
        let mut kept: Vec<(Weekday, u16, u16)> = vec![];
        for (d, start, len) in ranges {
            let end = (start + len).min(1440);
            if start >= end {
                continue;
            }
            days[d].1.push(format!("{:02}:{:02}-{:02}:{:02}", start / 60, start % 60, end / 60, end % 60));
            kept.push((DAYS[d], start, end));
        }
        let w = TimeWindows::parse(zone, &days).unwrap();
        let at: DateTime<Utc> = Utc.timestamp_opt(secs, 0).unwrap();
        let tz: chrono_tz::Tz = zone.parse().unwrap();
        let local = at.with_timezone(&tz);
        let m = (local.hour() * 60 + local.minute()) as u16;
        let want = kept.is_empty()
            || kept.iter().any(|(d, s, e)| *d == local.weekday() && *s <= m && m < *e);
        prop_assert_eq!(w.matches(at), want);
    }

    #[test]
    fn command_groups_never_panic(patterns in prop::collection::vec(any::<String>(), 0..4), regex in any::<bool>(), ignore_case in any::<bool>(), line in any::<String>()) {
        let spec = CommandGroupSpec {
            patterns,
            kind: if regex { CommandKind::Regex } else { CommandKind::Command },
            ignore_case,
        };
        match CommandGroup::parse(spec) {
            Ok(g) => { let _ = g.matches(&line); }
            // Only regular expressions can be refused: a command name is always escaped.
            Err(e) => prop_assert!(regex, "a command name was refused: {}", e.reason),
        }
    }

    #[test]
    fn command_names_match_whole_commands_only(
        word in "[a-z][a-z0-9_.-]{0,8}",
        suffix in "[a-z0-9]{1,4}",
        args in "( [a-zA-Z0-9/_.-]{1,8}){0,3}",
    ) {
        let g = CommandGroup::parse(CommandGroupSpec {
            patterns: vec![word.clone()],
            kind: CommandKind::Command,
            ignore_case: false,
        })
        .unwrap();
        let cmd = format!("{word}{args}");
        prop_assert!(g.matches(&cmd), "{}", cmd);
        let sudo = format!("sudo {word}{args}");
        prop_assert!(g.matches(&sudo), "{}", sudo);
        let full = format!("/usr/bin/{word}{args}");
        prop_assert!(g.matches(&full), "{}", full);
        let chained = format!("cd /tmp && {word}{args}");
        prop_assert!(g.matches(&chained), "{}", chained);
        // A longer command that starts with the name, or the name as an argument, is not it.
        let longer = format!("{word}{suffix}{args}");
        prop_assert!(!g.matches(&longer), "{}", longer);
        let argument = format!("echo {word}");
        prop_assert!(!g.matches(&argument), "{}", argument);
    }

    /// Lines full of shell syntax never panic, and the parse is the same however often it
    /// is done.
    #[test]
    fn shell_like_lines_never_panic(line in "[a-z $(){}\\[\\]`'\"\\\\;&|<>=!*?#\n-]{0,80}") {
        let g = CommandGroup::parse(CommandGroupSpec {
            patterns: vec!["rm".into(), "a b".into()],
            kind: CommandKind::Command,
            ignore_case: true,
        })
        .unwrap();
        let first = g.matches(&line);
        prop_assert_eq!(first, g.matches(&line));
        let parsed = CommandLine::parse(&line);
        let _ = parsed.command_words();
        let _ = parsed.all_named_by(std::slice::from_ref(&g));
    }

    /// Finding 15: disguising a command (quotes, backslashes, wrappers, `sh -c`, blocks)
    /// does not hide it from a group naming it.
    #[test]
    fn disguised_commands_still_match(
        word in "[a-z][a-z0-9_.-]{0,8}",
        template in prop::sample::select(vec![
            "{w} x", "\\{w} x", "'{w}' x", "\"{w}\" x", "sudo -u root {w} x",
            "env -i A=1 {w} x", "nice -n 5 {w} x", "bash -c '{w} x'", "sh -c \"{w} x\"",
            "x=1 {w} y", "ls; {w} x", "{ {w} x; }", "echo $(/usr/bin/{w} x)",
            "nohup timeout 5 {w} x", "ls | xargs {w}", "if true; then {w} x; fi",
            "! {w} x", "command exec time {w} x", "eval '{w} x'", "ls && ({w} x)",
        ]),
        backslash_each in any::<bool>(),
    ) {
        let g = CommandGroup::parse(CommandGroupSpec {
            patterns: vec![word.clone()],
            kind: CommandKind::Command,
            ignore_case: false,
        })
        .unwrap();
        // (Inside quotes a backslash is kept, so only unquoted words are escaped char by char.)
        let written = if backslash_each && !template.contains(['\'', '"', '\\']) {
            word.chars().map(|c| format!("\\{c}")).collect::<String>()
        } else {
            word.clone()
        };
        let line = template.replace("{w}", &written);
        prop_assert!(g.matches(&line), "{}", line);
    }

    /// …while the name as an argument, quoted or not, is not a command.
    #[test]
    fn names_as_arguments_do_not_match(
        word in "[a-z][a-z0-9_.-]{0,8}",
        template in prop::sample::select(vec![
            "echo {w}", "echo '{w}'", "echo \"{w} x\"", "echo \\{w}", "git commit -m '{w}'",
            "echo x{w}", "echo {w}x; echo", "x={w}", "echo > {w}",
        ]),
    ) {
        prop_assume!(word != "echo" && word != "git");
        let g = CommandGroup::parse(CommandGroupSpec {
            patterns: vec![word.clone()],
            kind: CommandKind::Command,
            ignore_case: false,
        })
        .unwrap();
        let line = template.replace("{w}", &word);
        prop_assert!(!g.matches(&line), "{}", line);
    }
}
