using Microsoft.Extensions.DependencyInjection;

namespace CommsHub.Core.Auth.Operators;

public static class OperatorSetup
{
    /// <summary>Operator accounts: the admin API's service and local sign-in.</summary>
    public static IServiceCollection AddCommsHubOperators(this IServiceCollection services)
    {
        services.AddSingleton<OperatorTokens>();
        services.AddSingleton<OperatorPasswords>();
        services.AddSingleton<OperatorTotp>();
        services.AddSingleton<OperatorStamps>();
        services.AddScoped<OperatorMail>();
        services.AddScoped<OperatorService>();
        services.AddScoped<OperatorCredentials>();
        services.AddScoped<OperatorSignIn>();
        services.AddScoped<OperatorTwoFactor>();
        return services;
    }
}
