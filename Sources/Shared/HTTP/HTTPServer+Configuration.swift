extension HTTPServer {
    /// Where the server listens and every limit and deadline it enforces. Durations are in seconds; tests
    /// shorten them.
    public struct Configuration: Sendable {
        /// IPv4 address to bind: `127.0.0.1` behind nginx, `0.0.0.0` for every interface.
        public var host: String
        /// Port to bind; 0 lets the system pick one, which `start()` returns.
        public var port: Int
        public var backlog: Int32
        /// Connections served at once; one more is answered 503 `server_busy` and closed.
        public var maxConnections: Int
        /// Request line, header and body limits (RFC 9112 framing is always enforced).
        public var limits: HTTPLimits
        /// From the first byte of a request to the end of its header section; past it: 408 and close.
        public var headerTimeout: Double
        /// From the end of the header section to the end of the body; past it: 408 and close.
        public var bodyTimeout: Double
        /// How long a keep-alive connection may wait for its next request before it is closed.
        public var idleTimeout: Double
        /// How long the handler may take; past it: 503 `handler_timeout`, close, and its late result is dropped.
        public var handlerTimeout: Double
        /// How long writing one response may take before the connection is dropped.
        public var writeTimeout: Double
        /// After a response with `Connection: close`, how long unread input is drained before closing, so the
        /// peer reads the response instead of a reset.
        public var lingerTimeout: Double
        /// Trust `X-Forwarded-For` and `X-Forwarded-Proto` from a reverse proxy on the loopback interface
        /// (nginx terminating TLS). Off by default: a client elsewhere could forge them.
        public var trustProxy = false

        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            backlog: Int32 = 128,
            maxConnections: Int = 256,
            limits: HTTPLimits = .default,
            headerTimeout: Double = 10,
            bodyTimeout: Double = 60,
            idleTimeout: Double = 30,
            handlerTimeout: Double = 30,
            writeTimeout: Double = 30,
            lingerTimeout: Double = 2
        ) {
            self.host = host
            self.port = port
            self.backlog = backlog
            self.maxConnections = maxConnections
            self.limits = limits
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.idleTimeout = idleTimeout
            self.handlerTimeout = handlerTimeout
            self.writeTimeout = writeTimeout
            self.lingerTimeout = lingerTimeout
        }
    }
}
