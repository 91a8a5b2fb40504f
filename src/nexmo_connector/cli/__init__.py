"""The ``nexmo-connector`` command line."""
