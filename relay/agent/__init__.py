"""The phone agent (`relay phone`) and its delivery backends. It runs on a phone's own Python, so
nothing here imports DuckDB, pandas, Tornado's server side or any other part of the relay."""
