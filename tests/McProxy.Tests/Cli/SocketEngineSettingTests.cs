namespace McProxy.Tests.Cli;

/// <summary>Program.Main turns inline socket completions on, unless the operator has chosen for themselves.</summary>
[Collection(nameof(SocketEngineSettingTests))]
[CollectionDefinition(nameof(SocketEngineSettingTests), DisableParallelization = true)]
[UnitTest]
public sealed class SocketEngineSettingTests
{
    [Theory]
    [InlineData(null, "1")]
    [InlineData("0", "0")]
    [InlineData("1", "1")]
    public void PreferInlineSocketCompletions_KeepsAnOperatorsChoice(string? before, string after)
    {
        var saved = Environment.GetEnvironmentVariable(Program.InlineSocketCompletions);
        try
        {
            Environment.SetEnvironmentVariable(Program.InlineSocketCompletions, before);

            Program.PreferInlineSocketCompletions();

            Assert.Equal(after, Environment.GetEnvironmentVariable(Program.InlineSocketCompletions));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Program.InlineSocketCompletions, saved);
        }
    }
}
