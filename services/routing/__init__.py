"""routing: owns the organisation directory and the ledger (问题台账); routes each demand to a chair."""
