"""The registry of standard addresses (一标三实 标准地址) per grid cell, and matching written addresses to it."""
