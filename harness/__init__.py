"""The whole system, or the parts of it a test needs, made for one run and removed afterwards:
private vhosts and databases, a private RabbitMQ node, every service as real processes with a real
SMTP server. Used by the end-to-end and fault tests and by the benchmarks (which import nothing
from ``tests``)."""
