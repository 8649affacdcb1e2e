"""`make demo`: demo organizations, their errors sent through the real SDK and APIs, monitors of
local demo services, user reports, alert rules to local stub channels, and a backfilled week."""
