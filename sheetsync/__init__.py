"""sheetsync: trustworthy monthly OKR/KPI evaluation on ordinary spreadsheets."""

__version__ = "0.1.0"
