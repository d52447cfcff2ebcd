"""Monthly cost: a dated price catalogue shipped as data, and the estimator over the registry.

Each resource type prices itself (`ResourceType.cost`); the pricing rules of each service
live here as pure functions, so they are tested against the catalogue on their own."""
