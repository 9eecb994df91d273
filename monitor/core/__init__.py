"""The pure core: domain types, hosts, targets, the verdict, change detection, the wire format, disavow files
and the mentions text logic. No database, no network; imports only the standard library, tldextract, ada-url,
monitor.config and itself."""
