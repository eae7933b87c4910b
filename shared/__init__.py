"""Common machinery of the Xinsheng services: settings, events, broker, outbox, inbox, web, metrics."""
