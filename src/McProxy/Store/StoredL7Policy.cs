namespace McProxy.Store;

internal sealed record StoredL7Policy(long Id, long RouteId, string Type, string Value);
