package resolver

// CacheBytes returns the bytes c accounts to the answers it keeps, for the
// tests of its bound.
func CacheBytes(c *Cache) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
