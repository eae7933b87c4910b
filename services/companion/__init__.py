"""companion: the Union Chair Companion Day (工会主席陪伴日): the schedule, the visits to the shop
floor, and whether each day was held."""
