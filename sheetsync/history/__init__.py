"""What happened to every unit and month over time: the store, freezing approved months, quarters and years, deadline tracking."""
