"""The example worker: implementations of the services generated from schemas/."""
