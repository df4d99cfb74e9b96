package live

// ListenerPID returns the backend process ID of a PostgreSQL broker's listener
// connection, 0 while it reconnects or for the memory broker.
func ListenerPID(b Broker) uint32 {
	if p, ok := b.(*postgres); ok {
		return p.listenerPID()
	}
	return 0
}

// ChannelOf returns a PostgreSQL broker's NOTIFY channel, "" for the memory broker.
func ChannelOf(b Broker) string {
	if p, ok := b.(*postgres); ok {
		return p.channel
	}
	return ""
}
