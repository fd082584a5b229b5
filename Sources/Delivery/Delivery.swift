// Delivery: see Package.swift for what this target holds.
