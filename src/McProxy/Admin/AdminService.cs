using Grpc.Core;
using McProxy.Client.V1;

namespace McProxy.Admin;

/// <summary>The gRPC face of <see cref="ProxyAdmin"/>: one method per RPC, errors as <see cref="RpcException"/>.</summary>
internal sealed class AdminService(ProxyAdmin admin) : ProxyAdminService.ProxyAdminServiceBase
{
    public override Task<GetStatusResponse> GetStatus(GetStatusRequest request, ServerCallContext context)
        => Task.FromResult(admin.GetStatus());

    public override Task<ListRoutesResponse> ListRoutes(ListRoutesRequest request, ServerCallContext context)
        => Task.FromResult(admin.ListRoutes(request.ListenerAddr));

    public override Task<AddRouteResponse> AddRoute(AddRouteRequest request, ServerCallContext context)
        => admin.AddRouteAsync(request, context.CancellationToken);

    public override Task<RemoveRouteResponse> RemoveRoute(RemoveRouteRequest request, ServerCallContext context)
        => admin.RemoveRouteAsync(request, context.CancellationToken);

    public override Task<ListFirewallRulesResponse> ListFirewallRules(ListFirewallRulesRequest request, ServerCallContext context)
        => Task.FromResult(admin.ListFirewallRules());

    public override Task<AddFirewallRuleResponse> AddFirewallRule(AddFirewallRuleRequest request, ServerCallContext context)
        => admin.AddFirewallRuleAsync(request, context.CancellationToken);

    public override Task<RemoveFirewallRuleResponse> RemoveFirewallRule(RemoveFirewallRuleRequest request, ServerCallContext context)
        => admin.RemoveFirewallRuleAsync(request, context.CancellationToken);

    public override Task<ListL7PoliciesResponse> ListL7Policies(ListL7PoliciesRequest request, ServerCallContext context)
        => Task.FromResult(admin.ListL7Policies(request));

    public override Task<AddL7PolicyResponse> AddL7Policy(AddL7PolicyRequest request, ServerCallContext context)
        => admin.AddL7PolicyAsync(request, context.CancellationToken);

    public override Task<RemoveL7PolicyResponse> RemoveL7Policy(RemoveL7PolicyRequest request, ServerCallContext context)
        => admin.RemoveL7PolicyAsync(request, context.CancellationToken);

    public override Task<SetBackendStateResponse> SetBackendState(SetBackendStateRequest request, ServerCallContext context)
        => admin.SetBackendStateAsync(request, context.CancellationToken);
}
