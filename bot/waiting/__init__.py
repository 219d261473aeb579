"""The waiting room in Slack: Coviu's webhooks in, "Pat Smith is waiting" DMs out.

- `webhooks`: the receiver behind ``POST /coviu/webhooks`` (check the secret, record a job);
- `polling`: Socket Mode's stand-in, the same events read from the session summaries;
- `room`: the rules (who is in, who gets told what: alerts, live cards, nudges, summaries);
- `store`: presence and the DMs sent about it, in the app's database (migration 4);
- `render`: the messages, as Block Kit;
- `alerts`: the thin job handlers that hand each event to the room.
"""
