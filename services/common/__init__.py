"""The chassis every service shares, in layers: storage/, messaging/, boundary/, ops/, and the clock,
decisions and errors every layer speaks."""
