"""The weekly work schedule (tab Lịch công tác) as the document offices publish and as a
calendar: document.py (layout from templates/schedule/, the week's days and sessions),
render.py (xlsx, HTML, PDF), ical.py (.ics with the month's deadlines)."""
