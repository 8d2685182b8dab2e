"""The panel feature: hard-to-place children and a panel's decisions."""
