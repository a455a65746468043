using System.Text.Json.Nodes;
using CommsHub.Core.Deliveries;
using CommsHub.Core.Hosting;
using MassTransit;

namespace CommsHub.Tests.Deploy;

/// <summary>
/// deploy/k8s: every overlay renders with kubectl's kustomize, every object it renders would be
/// accepted as it is written, and the settings that must agree with the code do.
/// </summary>
public sealed class KubernetesManifestsTests
{
    private static readonly Dictionary<string, IReadOnlyList<JsonObject>> Rendered = Manifests.Overlays().ToDictionary(o => o, Manifests.Render);
    private static readonly ManifestValidator Validator = ManifestValidator.ForRepository();

    public static TheoryData<string> Overlays() => [.. Manifests.Overlays()];

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Every_object_of_the_overlay_matches_its_schema(string overlay)
    {
        var objects = Rendered[overlay];

        var errors = objects.SelectMany(Validator.Validate).ToList();

        Assert.True(errors.Count == 0, string.Join('\n', errors));
        var kinds = objects.Select(o => (string)o["kind"]!).ToHashSet();
        Assert.Superset(new HashSet<string> { "Deployment", "Job", "Service", "Ingress", "PodDisruptionBudget", "NetworkPolicy", "ConfigMap", "Secret", "ScaledObject", "TriggerAuthentication" }, kinds);
    }

    [Fact]
    public void The_operators_overlay_runs_three_broker_nodes_with_quorum_queues_and_three_database_instances()
    {
        var objects = Rendered["operators"];

        Assert.Equal(3, (long)objects.Find("RabbitmqCluster", "commshub-rabbitmq")["spec"]!["replicas"]!);
        Assert.Equal(3, (long)objects.Find("Cluster", "commshub-db")["spec"]!["instances"]!);
        Assert.Equal("quorum", (string?)objects.Find("ConfigMap", "commshub-config")["data"]!["RabbitMq__QueueType"]);
    }

    [Fact]
    public void A_wrong_type_fails_validation()
    {
        var api = Rendered["operators"].Find("Deployment", "commshub-api").DeepClone().AsObject();
        api["spec"]!["replicas"] = "two";

        var errors = Validator.Validate(api);

        Assert.Contains(errors, e => e.Contains("spec.replicas", StringComparison.Ordinal));
    }

    [Fact]
    public void A_misspelt_field_fails_validation()
    {
        var worker = Rendered["external"].Find("Deployment", "commshub-worker").DeepClone().AsObject();
        var pod = worker["spec"]!["template"]!["spec"]!.AsObject();
        pod["terminationGracePeriodSecond"] = pod["terminationGracePeriodSeconds"]!.DeepClone();
        pod.Remove("terminationGracePeriodSeconds");

        var errors = Validator.Validate(worker);

        Assert.Contains(errors, e => e.Contains("terminationGracePeriodSecond", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Cluster", "commshub-db", "instances", "\"three\"", "spec.instances: must be integer")]
    [InlineData("Cluster", "commshub-db", "instance", "3", "spec.instance: unknown field")]
    [InlineData("RabbitmqCluster", "commshub-rabbitmq", "replica", "3", "spec.replica: unknown field")]
    [InlineData("ScaledObject", "commshub-worker", "minReplicas", "2", "spec.minReplicas: unknown field")]
    [InlineData("ScaledObject", "commshub-worker", "maxReplicaCount", "\"ten\"", "spec.maxReplicaCount: must be integer")]
    public void A_custom_resource_with_a_wrong_field_fails_validation(string kind, string name, string field, string value, string expected)
    {
        var resource = Rendered["operators"].Find(kind, name).DeepClone().AsObject();
        resource["spec"]![field] = JsonNode.Parse(value);

        var errors = Validator.Validate(resource);

        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void The_termination_grace_outlasts_the_hosts_shutdown_timeout(string overlay)
    {
        var objects = Rendered[overlay];
        var configured = (string?)objects.Find("ConfigMap", "commshub-config")["data"]!["Shutdown__Timeout"];
        var timeout = configured is null ? new ShutdownOptions().Timeout : TimeSpan.Parse(configured, System.Globalization.CultureInfo.InvariantCulture);

        foreach (var deployment in objects.Where(o => (string?)o["kind"] == "Deployment"))
        {
            var pod = deployment["spec"]!["template"]!["spec"]!;
            var preStop = pod["containers"]![0]!["lifecycle"]?["preStop"]?["exec"]?["command"]?.AsArray().Select(c => (string)c!).ToArray();
            var pause = preStop is ["sleep", var seconds] ? TimeSpan.FromSeconds(int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)) : TimeSpan.Zero;
            var grace = TimeSpan.FromSeconds((long)pod["terminationGracePeriodSeconds"]!);
            // A margin for the runtime's own exit after the host has stopped.
            Assert.True(grace >= pause + timeout + TimeSpan.FromSeconds(5),
                $"{Manifests.Describe(deployment)}: terminationGracePeriodSeconds {grace.TotalSeconds} s must exceed the preStop pause {pause.TotalSeconds} s + Shutdown:Timeout {timeout.TotalSeconds} s + 5 s");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public void Each_process_runs_its_role_as_a_non_root_user_on_a_read_only_file_system(string overlay)
    {
        var objects = Rendered[overlay];
        var api = objects.Find("Deployment", "commshub-api")["spec"]!;
        var container = api["template"]!["spec"]!["containers"]![0]!;

        Assert.True((long)api["replicas"]! >= 2);
        Assert.Equal("api", Env(container, "Roles"));
        Assert.Equal("/health/ready", (string?)container["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/health/live", (string?)container["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("worker", Env(objects.Find("Deployment", "commshub-worker")["spec"]!["template"]!["spec"]!["containers"]![0]!, "Roles"));
        Assert.Equal("migrate", (string?)objects.Find("Job", "commshub-migrate")["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]![0]);
        foreach (var workload in objects.Where(o => (string?)o["kind"] is "Deployment" or "Job"))
        {
            var pod = workload["spec"]!["template"]!["spec"]!;
            Assert.True((bool?)pod["securityContext"]!["runAsNonRoot"] == true, Manifests.Describe(workload));
            Assert.All(pod["containers"]!.AsArray(), c => Assert.True((bool?)c!["securityContext"]!["readOnlyRootFilesystem"] == true, Manifests.Describe(workload)));
        }
    }

    [Fact]
    public void The_worker_scales_on_every_queue_it_consumes()
    {
        var triggers = Rendered["operators"].Find("ScaledObject", "commshub-worker")["spec"]!["triggers"]!.AsArray();

        var watched = triggers.Select(t => (string)t!["metadata"]!["queueName"]!).Order().ToArray();

        Assert.Equal(ConsumedQueues().Order().ToArray(), watched);
    }

    /// <summary>The queue of every consumer the worker registers, named as MassTransit names it on the broker.</summary>
    private static IEnumerable<string> ConsumedQueues()
    {
        var core = typeof(DeliveryCommands).Assembly;
        foreach (var consumer in core.GetTypes().Where(t => typeof(IConsumer).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false }))
        {
            if (consumer.IsGenericTypeDefinition)
            {
                Assert.Equal(typeof(SendConsumer<,>), consumer);
                foreach (var route in DeliveryCommands.Routes)
                {
                    yield return route.Queue;
                }
                continue;
            }
            var definition = core.GetTypes().FirstOrDefault(t => typeof(ConsumerDefinition<>).MakeGenericType(consumer).IsAssignableFrom(t))
                             ?? typeof(ConsumerDefinition<>).MakeGenericType(consumer);
            yield return ((IConsumerDefinition)Activator.CreateInstance(definition, nonPublic: true)!).GetEndpointName(KebabCaseEndpointNameFormatter.Instance);
        }
    }

    private static string? Env(JsonNode container, string name) =>
        (string?)container["env"]!.AsArray().Single(e => (string?)e!["name"] == name)!["value"];
}
