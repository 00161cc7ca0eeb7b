"""Local plays of the government sites policywatch crawls, so tests and demos never touch a real host."""
