"""The engine below the features, and nothing of any feature: the DuckDB database and its
migrations, the single writer thread that commits operations in groups (its batches), reader
cursors on a thread pool, the bus that hands committed facts to the IOLoop, and sealed message
bodies. What the log means, and the in-memory state derived from it, belong to the features."""
