namespace CommsHub.Core.Common;

/// <summary>
/// Time-ordered ids (UUIDv7): keyset paging by id is creation order, and inserts stay at the
/// right-hand end of every index.
/// </summary>
public static class Ids
{
    public static Guid New() => Guid.CreateVersion7();
}
