"""Polish dates, one format everywhere: "04.12.2026" (Django's own mixes "4 grudnia 2026" and "04-12-2026").
Numbers and input formats stay Django's (see docs/architecture.md, "Dates")."""

DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "d.m.Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
