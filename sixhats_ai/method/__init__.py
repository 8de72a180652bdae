"""The method as data: the hats, the programs, their agendas and closings, and what each
hat returns."""
