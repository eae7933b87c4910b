"""What the tests share: the services' test clients and the delivery of an event to a handler table."""
