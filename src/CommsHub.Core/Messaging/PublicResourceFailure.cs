namespace CommsHub.Core.Messaging;

/// <summary>A public status-page resource (its path) that failed to build, as its alert tells it.</summary>
/// <param name="ServingLastGood">False when it never built in this process, so it answers 503.</param>
public sealed record PublicResourceFailure(string Path, string ExceptionType, string ExceptionMessage, DateTimeOffset Since, bool ServingLastGood);
