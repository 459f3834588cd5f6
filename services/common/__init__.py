"""The chassis every service shares: store, outbox, inbox, consumer policy, errors, RPC validation."""
