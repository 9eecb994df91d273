"""The store: models, connection and migrations, and the queries the commands share."""
