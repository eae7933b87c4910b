"""The four Xinsheng services: intake, routing, notify, reports."""
