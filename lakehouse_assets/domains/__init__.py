"""Business domains: each one a package with its table specs, jobs and sample generator."""
