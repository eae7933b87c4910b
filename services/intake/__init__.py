"""intake: takes workers' demands (诉求) from the kiosk, the web form and the API."""
