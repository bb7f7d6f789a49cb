"""`make alert-noise`: notifications per published day of the market alerts over a
replayed history (see __main__)."""
