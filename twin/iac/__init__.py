"""The Pulumi layer: the fleet declared as component resources."""
