-- Tests only: moves a ticket `hours` into its past, as a clock moved forward would see it: the
-- clocks of its levels (since, reminded_at) and its timer's due time. Defines
-- pg_temp.age_ticket(ticket, hours) for the session; used by server/tests/api/timers.rs and
-- end2end/tests/helpers.ts (ageTicket).
CREATE OR REPLACE FUNCTION pg_temp.age_ticket(ticket uuid, hours int) RETURNS void
LANGUAGE sql AS $$
  UPDATE tickets SET steps = (
    SELECT jsonb_agg(
      CASE WHEN s #>> '{clock,since}' IS NULL THEN s ELSE
        jsonb_set(
          jsonb_set(s, '{clock,since}',
            to_jsonb((s #>> '{clock,since}')::timestamptz - make_interval(hours => age_ticket.hours))),
          '{clock,reminded_at}',
          COALESCE(to_jsonb((s #>> '{clock,reminded_at}')::timestamptz
                            - make_interval(hours => age_ticket.hours)), 'null'))
      END ORDER BY i)
    FROM jsonb_array_elements(steps) WITH ORDINALITY AS e(s, i))
  WHERE id = age_ticket.ticket;
  UPDATE ticket_timers SET due_at = due_at - make_interval(hours => age_ticket.hours)
  WHERE ticket_id = age_ticket.ticket;
$$;
