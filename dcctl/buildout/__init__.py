"""The cloud build-out: where each hall stands, from the devices' lifecycle in the inventory."""
