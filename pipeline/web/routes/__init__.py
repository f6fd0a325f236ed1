"""The workbench routers, one module per area: auth, review, council, trends and the JSON API."""
