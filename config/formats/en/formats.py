"""English dates, one format everywhere: "4 Dec 2026" (no "12/03/2026" that reads as 12 March in Europe, no
"Dec. 4, 2026" beside it). Numbers and input formats stay Django's (see docs/architecture.md, "Dates")."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
