"""The project's vocabulary, each concept defined once: months, quarters, years and dates as
people write them (`calendar`), the rating scale of a profile (`ratings`), spreadsheet cell
addresses (`a1`). Nothing here imports the rest of the package beyond `errors`."""
