SERVICE = "intake"
