"""`modelops deliver`: the week in review and the weekly report sent to each stakeholder,
scoped by the access policy (subscriptions.py reads them, message.py builds what each
recipient gets, transport.py sends it, log.py remembers what was sent, schedule.py says
when)."""
