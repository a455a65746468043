namespace CommsHub.Core.StatusPage;

/// <summary>Tells this process's status snapshot that something it shows has changed.</summary>
public sealed class StatusChangeSignal
{
    public event Action? Changed;

    public void Notify() => Changed?.Invoke();
}
