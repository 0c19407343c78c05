using System.Reflection;
using System.Reflection.Emit;

namespace McProxy.Tests.TestInfrastructure;

/// <summary>
/// The members a method body's instructions name (calls, newobj, ldftn, field accesses, typeof, casts), read from its
/// IL: what the tests that check code against rules (the unit-test guard, the dependency direction) walk.
/// </summary>
public static class IlOperands
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>
    /// Each member token in <paramref name="method"/>'s IL with the kind of operand it is (InlineMethod for a call,
    /// InlineField, InlineType, InlineTok); a token that does not resolve in the method's generic context is left out.
    /// </summary>
    public static IEnumerable<(OperandType Kind, MemberInfo Member)> Of(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var i = 0; i < il.Length;)
        {
            var value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var kind = OpCodesByValue[value].OperandType;
            if (kind is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok)
            {
                MemberInfo? member = null;
                try
                {
                    member = method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArguments, methodArguments);
                }
                catch (ArgumentException)
                {
                    // A member of a generic instantiation the context does not describe.
                }

                if (member is not null)
                {
                    yield return (kind, member);
                }
            }

            i += kind switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, i)),
                _ => 4,
            };
        }
    }
}
