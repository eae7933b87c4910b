SERVICE = "reports"
