"""Google Sheets: one-request reads, key-checked writes, pacing under quota, credentials, init on Google."""
