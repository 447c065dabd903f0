"""Values compared as deployed, not as spelled: parameters, conditions, Sub, Join, FindInMap.

Each family below was a false finding on real repositories (a value rewritten with ``!If``,
``!Sub`` or ``!Ref`` of a parameter that deploys the same thing), and each has its positive
twin: the same rewrite that does change the deployed value is still a change.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from template_builder import CODE_V1, CODE_V2, compare, rules_of, stack, template

from reviewer.commands.check import CheckOptions, run_check
from reviewer.diff.function_changes import Status, function_changes
from reviewer.diff.stack_diff import StackDiff
from reviewer.model.resolve import Resolver


def changed_names(old: dict[str, Any], new: dict[str, Any], function: str = "Fn") -> set[str]:
    change = function_changes(StackDiff.compute(stack(old, "base.json"), stack(new)))[function]
    return set(change.names)


# -- Fn::If and conditions ----------------------------------------------------------------

DOMAIN = {"CustomDomain": {"Type": "String", "Default": ""}}
DOMAIN_SET = {"CustomDomainSet": {"Fn::Not": [{"Fn::Equals": [{"Ref": "CustomDomain"}, ""]}]}}


def test_a_value_behind_a_false_condition_is_the_value_it_replaces() -> None:
    """The deployed stack's value of ``CustomDomain`` is known (empty): the condition is
    false, and the URL deploys as before."""
    old = template({"Fn": {"Code": CODE_V1, "Environment": {"Variables": {"URL": "api.example"}}}},
                   parameters=DOMAIN)
    wrapped = {"Fn::If": ["CustomDomainSet", {"Ref": "CustomDomain"}, "api.example"]}
    new = template({"Fn": {"Code": CODE_V2, "Environment": {"Variables": {"URL": wrapped}}}},
                   parameters=DOMAIN, conditions=DOMAIN_SET)
    assert changed_names(old, new) == {"Code"}
    assert rules_of(compare(old, new, known={"CustomDomain": ""})) == []


def test_a_default_alone_leaves_the_condition_open_and_names_the_world() -> None:
    """The same change with only the ``Default`` to go by: a deployment that sets
    ``CustomDomain`` changes the URL with the code, and the finding says when."""
    old = template({"Fn": {"Code": CODE_V1, "Environment": {"Variables": {"URL": "api.example"}}}},
                   parameters=DOMAIN)
    wrapped = {"Fn::If": ["CustomDomainSet", {"Ref": "CustomDomain"}, "api.example"]}
    new = template({"Fn": {"Code": CODE_V2, "Environment": {"Variables": {"URL": wrapped}}}},
                   parameters=DOMAIN, conditions=DOMAIN_SET)
    report = compare(old, new)
    assert rules_of(report) == [("LG001", "Fn")]
    (finding,) = report.findings
    assert finding.when == "when CustomDomainSet is true"
    assert finding.message.startswith("when CustomDomainSet is true: ")
    (summary,) = report.stacks
    assert any("judged as 2 deployments" in note and "CustomDomainSet" in note
               for note in summary.notes)


def test_a_value_behind_a_true_condition_is_the_branch_taken() -> None:
    parameters = {"CustomDomain": {"Type": "String", "Default": "orders.example"}}
    old = template({"Fn": {"Code": CODE_V1, "Environment": {"Variables": {"URL": "api.example"}}}},
                   parameters=parameters)
    wrapped = {"Fn::If": ["CustomDomainSet", {"Ref": "CustomDomain"}, "api.example"]}
    new = template({"Fn": {"Code": CODE_V2, "Environment": {"Variables": {"URL": wrapped}}}},
                   parameters=parameters, conditions=DOMAIN_SET)
    assert changed_names(old, new) == {"Code", "Environment"}
    assert rules_of(compare(old, new)) == [("LG001", "Fn")]


def test_keys_added_under_a_false_condition_are_not_deployed() -> None:
    old = template({"Fn": {"Code": CODE_V1, "Environment": {"Variables": {"A": "1"}}}},
                   parameters=DOMAIN)
    tracing = {"Fn::If": ["CustomDomainSet", {"Mode": "Active"}, {"Ref": "AWS::NoValue"}]}
    extra = {"Fn::If": ["CustomDomainSet", "yes", {"Ref": "AWS::NoValue"}]}
    new = template(
        {"Fn": {"Code": CODE_V2, "TracingConfig": tracing,
                "Environment": {"Variables": {"A": "1", "B": extra}}}},
        parameters=DOMAIN, conditions=DOMAIN_SET,
    )
    assert changed_names(old, new) == {"Code"}
    assert rules_of(compare(old, new, known={"CustomDomain": ""})) == []
    (finding,) = compare(old, new).findings  # set by a deployment: the keys arrive
    assert finding.when == "when CustomDomainSet is true"


def test_a_create_only_value_behind_a_false_condition_does_not_replace() -> None:
    """A bucket whose name moves behind ``!If`` is not replaced, so the function that reads
    its name through ``!Ref`` does not change configuration."""
    bucket_name = {"Fn::If": ["CustomDomainSet", {"Ref": "CustomDomain"}, "orders-data"]}
    env = {"Variables": {"BUCKET": {"Ref": "Data"}}}
    old = template({"Fn": {"Code": CODE_V1, "Environment": env}}, parameters=DOMAIN,
                   resources={"Data": {"Type": "AWS::S3::Bucket",
                                       "Properties": {"BucketName": "orders-data"}}})
    new = template({"Fn": {"Code": CODE_V2, "Environment": env}}, parameters=DOMAIN,
                   conditions=DOMAIN_SET,
                   resources={"Data": {"Type": "AWS::S3::Bucket",
                                       "Properties": {"BucketName": bucket_name}}})
    assert changed_names(old, new) == {"Code"}
    renamed = template({"Fn": {"Code": CODE_V2, "Environment": env}},
                       resources={"Data": {"Type": "AWS::S3::Bucket",
                                           "Properties": {"BucketName": "orders-data-2"}}})
    assert changed_names(old, renamed) == {"Code", "Environment"}


def test_only_the_function_whose_condition_holds_is_reported() -> None:
    parameters = {"Stage": {"Type": "String", "Default": "dev"}}
    conditions = {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
                  "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]}}

    def side(code: dict[str, str], mode: str) -> dict[str, Any]:
        env = {"Variables": {"MODE": mode}}
        return template(
            {"ProdFn": {"Code": code, "Environment": env, "Condition": "IsProd"},
             "DevFn": {"Code": code, "Environment": env, "Condition": "IsDev"}},
            parameters=parameters, conditions=conditions,
        )

    before, after = side(CODE_V1, "a"), side(CODE_V2, "b")
    assert rules_of(compare(before, after, known={"Stage": "dev"})) == [("LG001", "DevFn")]
    assert rules_of(compare(before, after, known={"Stage": "prod"})) == [("LG001", "ProdFn")]
    # Only the default to go by: each function races in the deployments that create it.
    when = {f.resource: f.when for f in compare(before, after).findings}
    assert when == {"DevFn": "when IsDev is true", "ProdFn": "when IsProd is true"}


def test_a_consumer_whose_condition_is_false_does_not_invoke() -> None:
    parameters = {"WithQueue": {"Type": "String", "Default": "no"}}
    conditions = {"QueueOn": {"Fn::Equals": [{"Ref": "WithQueue"}, "yes"]}}
    mapping = {"Type": "AWS::Lambda::EventSourceMapping", "Condition": "QueueOn",
               "Properties": {"FunctionName": {"Ref": "Fn"},
                              "EventSourceArn": "arn:aws:sqs:us-east-1:1:q"}}
    topic = {"Type": "AWS::SNS::Subscription",
             "Properties": {"Protocol": "lambda", "TopicArn": "arn:aws:sns:us-east-1:1:t",
                            "Endpoint": {"Fn::GetAtt": ["Fn", "Arn"]}}}

    def side(code: dict[str, str], mode: str) -> dict[str, Any]:
        return template({"Fn": {"Code": code, "Environment": {"Variables": {"MODE": mode}}}},
                        parameters=parameters, conditions=conditions,
                        resources={"Queue": mapping, "Topic": topic})

    before, after = side(CODE_V1, "a"), side(CODE_V2, "b")
    (finding,) = compare(before, after, known={"WithQueue": "no"}).findings
    assert [c.resource for c in finding.consumers] == ["Topic"]
    # Only the default to go by: the queue may exist, so it may invoke the function, and
    # the race holds in every deployment, so no world is named.
    (finding,) = compare(before, after).findings
    assert {c.resource for c in finding.consumers} == {"Topic", "Queue"}
    assert finding.when is None


def test_a_condition_that_cannot_be_decided_keeps_both_and_names_the_parameter() -> None:
    parameters = {"Stage": {"Type": "String"}}  # no default: the value is not known
    conditions = {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}
    old = template({"Fn": {"Code": CODE_V1, "Environment": {"Variables": {"LEVEL": "INFO"}}}},
                   parameters=parameters)
    level = {"Fn::If": ["IsProd", "WARN", "INFO"]}
    new = template({"Fn": {"Code": CODE_V2, "Environment": {"Variables": {"LEVEL": level}}}},
                   parameters=parameters, conditions=conditions)
    report = compare(old, new)
    assert rules_of(report) == [("LG001", "Fn")]
    (stack,) = report.stacks
    assert any("Stage" in note for note in stack.notes)


# -- parameters -----------------------------------------------------------------------------


def test_a_literal_and_a_parameter_with_that_default_are_one_value() -> None:
    parameters = {"LogLevel": {"Type": "String", "Default": "INFO"},
                  "T": {"Type": "Number", "Default": 30}}
    old = template({"Fn": {"Code": CODE_V1, "Timeout": 30,
                           "Environment": {"Variables": {"LOG_LEVEL": "INFO"}}}})
    new = template({"Fn": {"Code": CODE_V2, "Timeout": {"Ref": "T"},
                           "Environment": {"Variables": {"LOG_LEVEL": {"Ref": "LogLevel"}}}}},
                   parameters=parameters)
    assert changed_names(old, new) == {"Code"}
    assert rules_of(compare(old, new)) == []


def test_a_parameter_with_another_default_is_a_change() -> None:
    parameters = {"LogLevel": {"Type": "String", "Default": "DEBUG"}}
    old = template({"Fn": {"Code": CODE_V1, "Environment": {"Variables": {"LOG_LEVEL": "INFO"}}}})
    new = template({"Fn": {"Code": CODE_V2,
                           "Environment": {"Variables": {"LOG_LEVEL": {"Ref": "LogLevel"}}}}},
                   parameters=parameters)
    assert rules_of(compare(old, new)) == [("LG001", "Fn")]


def test_a_removed_default_is_unknown_not_changed() -> None:
    env = {"Variables": {"LOG_LEVEL": {"Ref": "LogLevel"}}}
    old = template({"Fn": {"Code": CODE_V1, "Environment": env}},
                   parameters={"LogLevel": {"Type": "String", "Default": "INFO"}})
    new = template({"Fn": {"Code": CODE_V2, "Environment": env}},
                   parameters={"LogLevel": {"Type": "String"}})
    assert changed_names(old, new) == {"Code"}
    report = compare(old, new)
    (finding,) = report.findings  # not an error: the value may change, it is not known to
    assert (finding.rule, finding.severity) == ("LG001", "notice")
    assert finding.message.startswith(
        "may race: Environment comes from parameter LogLevel, not known, while the code (Code) "
        "changes;"
    )
    assert any("LogLevel" in note for note in report.stacks[0].notes)


def test_a_changed_default_read_through_the_same_ref_names_the_parameter() -> None:
    env = {"Variables": {"LOG_LEVEL": {"Ref": "LogLevel"}}}
    old = template({"Fn": {"Code": CODE_V1, "Environment": env}},
                   parameters={"LogLevel": {"Type": "String", "Default": "INFO"}})
    new = template({"Fn": {"Code": CODE_V2, "Environment": env}},
                   parameters={"LogLevel": {"Type": "String", "Default": "DEBUG"}})
    (finding,) = compare(old, new).findings
    (environment,) = [c for c in finding.changes if c.name == "Environment"]
    assert (environment.how, environment.cause) == ("by parameter", "LogLevel")


# -- Sub, Join, Select, Split, FindInMap ---------------------------------------------------

REGIONS = {"Endpoints": {"eu": {"Host": "ingress.eu.example.com"},
                         "us": {"Host": "ingress.us.example.com"}}}


def test_a_url_rebuilt_with_sub_and_find_in_map_is_the_same_url() -> None:
    parameters = {"Area": {"Type": "String", "Default": "eu"}}
    old = template({"Fn": {"Code": CODE_V1, "Environment": {
        "Variables": {"URL": "https://ingress.eu.example.com/logs"}}}})
    url = {"Fn::Sub": ["https://${Host}/logs",
                       {"Host": {"Fn::FindInMap": ["Endpoints", {"Ref": "Area"}, "Host"]}}]}
    new = template({"Fn": {"Code": CODE_V2, "Environment": {"Variables": {"URL": url}}}},
                   parameters=parameters, mappings=REGIONS)
    assert changed_names(old, new) == {"Code"}
    moved = template({"Fn": {"Code": CODE_V2, "Environment": {"Variables": {"URL": url}}}},
                     parameters={"Area": {"Type": "String", "Default": "us"}}, mappings=REGIONS)
    assert changed_names(old, moved) == {"Code", "Environment"}


def test_a_changed_mapping_entry_is_a_change() -> None:
    """``Fn::FindInMap`` values are compared: a mapping edit reaches the functions reading it."""
    lookup = {"Fn::FindInMap": ["Endpoints", "eu", "Host"]}
    env = {"Variables": {"HOST": lookup}}
    old = template({"Fn": {"Code": CODE_V1, "Environment": env}}, mappings=REGIONS)
    edited = {"Endpoints": {**REGIONS["Endpoints"], "eu": {"Host": "ingress2.eu.example.com"}}}
    new = template({"Fn": {"Code": CODE_V2, "Environment": env}}, mappings=edited)
    assert rules_of(compare(old, new)) == [("LG001", "Fn")]
    same = template({"Fn": {"Code": CODE_V2, "Environment": env}}, mappings=REGIONS)
    assert rules_of(compare(old, same)) == []


def test_find_in_map_default_value_form() -> None:
    lookup = {"Fn::FindInMap": ["Endpoints", "ap", "Host", {"DefaultValue": "ingress.example"}]}
    old = template({"Fn": {"Code": CODE_V1,
                           "Environment": {"Variables": {"HOST": "ingress.example"}}}})
    new = template({"Fn": {"Code": CODE_V2, "Environment": {"Variables": {"HOST": lookup}}}},
                   mappings=REGIONS)
    assert changed_names(old, new) == {"Code"}


def test_join_select_and_split_evaluate_to_the_text_they_build() -> None:
    parameters = {"Hosts": {"Type": "CommaDelimitedList", "Default": "a.example,b.example"}}
    first = {"Fn::Select": ["0", {"Ref": "Hosts"}]}
    second = {"Fn::Select": [1, {"Fn::Split": [",", "a.example,b.example"]}]}
    joined = {"Fn::Join": [";", [first, second]]}
    old = template({"Fn": {"Code": CODE_V1,
                           "Environment": {"Variables": {"HOSTS": "a.example;b.example"}}}})
    new = template({"Fn": {"Code": CODE_V2, "Environment": {"Variables": {"HOSTS": joined}}}},
                   parameters=parameters)
    assert changed_names(old, new) == {"Code"}


def test_sub_and_join_of_the_same_references_are_one_value() -> None:
    """Resources and pseudo parameters stay unknown, but the same text around them is equal."""
    sub = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Data}/*"}
    join = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Data"}, "/*"]]}
    bucket = {"Data": {"Type": "AWS::S3::Bucket"}}
    old = template({"Fn": {"Code": CODE_V1, "Environment": {"Variables": {"ARN": join}}}},
                   resources=bucket)
    new = template({"Fn": {"Code": CODE_V2, "Environment": {"Variables": {"ARN": sub}}}},
                   resources=bucket)
    assert changed_names(old, new) == {"Code"}
    other = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Data}/logs/*"}
    changed = template({"Fn": {"Code": CODE_V2, "Environment": {"Variables": {"ARN": other}}}},
                       resources=bucket)
    assert changed_names(old, changed) == {"Code", "Environment"}


# -- equivalent spellings never differ (property-based) -----------------------------------

_names = st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True)
_texts = st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="${}"),
                 max_size=20)
_scalars = st.one_of(_texts, st.integers(min_value=0, max_value=10_000), st.booleans())


@st.composite
def respelled(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Environment variables, the same variables respelled, and the parameters they use."""
    variables = draw(st.dictionaries(_names, _scalars, min_size=1, max_size=6))
    parameters: dict[str, Any] = {}
    conditions = {"Always": {"Fn::Equals": ["x", "x"]}, "Never": {"Fn::Equals": ["x", "y"]}}
    spelled: dict[str, Any] = {}
    for index, (name, value) in enumerate(variables.items()):
        form = draw(st.sampled_from(["literal", "parameter", "if-true", "if-false", "sub",
                                     "join", "select"]))
        text = value if isinstance(value, str) else None
        if form == "parameter":
            parameters[f"P{index}"] = {"Type": "String", "Default": value}
            spelled[name] = {"Ref": f"P{index}"}
        elif form == "if-true":
            spelled[name] = {"Fn::If": ["Always", value, "other"]}
        elif form == "if-false":
            spelled[name] = {"Fn::If": ["Never", "other", value]}
        elif form == "sub" and text is not None:
            parameters[f"P{index}"] = {"Type": "String", "Default": text[: len(text) // 2]}
            spelled[name] = {"Fn::Sub": "${P" + str(index) + "}" + text[len(text) // 2 :]}
        elif form == "join" and text is not None:
            spelled[name] = {"Fn::Join": ["", [text[:3], text[3:]]]}
        elif form == "select":
            spelled[name] = {"Fn::Select": [1, ["other", value]]}
        else:
            spelled[name] = value
    return variables, spelled, {"parameters": parameters, "conditions": conditions}


@pytest.mark.slow  # 150 generated templates, each analysed twice: 4 to 22 s
@settings(max_examples=150, deadline=None, derandomize=True)
@given(respelled())
def test_equivalent_spellings_never_differ(
    case: tuple[dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    variables, spelled, extras = case
    old = template({"Fn": {"Code": CODE_V1, "Environment": {"Variables": variables}}})
    new = template({"Fn": {"Code": CODE_V1, "Environment": {"Variables": spelled}}}, **extras)
    assert changed_names(old, new) == set()
    assert changed_names(new, old) == set()


@settings(max_examples=100, deadline=None, derandomize=True)
@given(respelled(), st.data())
def test_a_respelled_value_that_differs_is_still_a_change(
    case: tuple[dict[str, Any], dict[str, Any], dict[str, Any]], data: st.DataObject
) -> None:
    variables, spelled, extras = case
    name = data.draw(st.sampled_from(sorted(variables)))
    spelled = {**spelled, name: {"Fn::Join": ["", [str(variables[name]), "-changed"]]}}
    old = template({"Fn": {"Code": CODE_V1, "Environment": {"Variables": variables}}})
    new = template({"Fn": {"Code": CODE_V1, "Environment": {"Variables": spelled}}}, **extras)
    assert changed_names(old, new) == {"Environment"}


def test_resolver_keeps_what_it_cannot_know() -> None:
    side = stack(template(
        {"Fn": {}}, parameters={"Free": {"Type": "String"}},
        conditions={"C": {"Fn::Equals": [{"Ref": "Free"}, "a"]}},
    ))
    resolver = Resolver(side)
    value = {"Fn::If": ["C", {"Fn::Sub": "x-${Free}-${AWS::Region}"}, "y"]}
    assert resolver.value(value) == {"Fn::If": ["C", {"Fn::Sub": "x-${Free}-${AWS::Region}"}, "y"]}
    assert resolver.unknown_names(resolver.value(value)) == {"Free"}
    assert resolver.condition("C") is None
    status = function_changes(StackDiff.compute(side, side))["Fn"].status
    assert status is Status.UNCHANGED


def test_a_mapping_edit_is_seen_through_a_lookup_keyed_by_region() -> None:
    """The region is not known, so the lookup is not decided; an edit of an entry it can
    reach is still a change, and an edit of another column is not."""
    lookup = {"Fn::FindInMap": ["Endpoints", {"Ref": "AWS::Region"}, "Host"]}
    env = {"Variables": {"HOST": lookup}}
    regions = {"Endpoints": {"eu-west-1": {"Host": "a.example", "Other": "x"},
                             "us-east-1": {"Host": "b.example", "Other": "y"}}}
    old = template({"Fn": {"Code": CODE_V1, "Environment": env}}, mappings=regions)
    edited = {"Endpoints": {**regions["Endpoints"],
                            "us-east-1": {"Host": "c.example", "Other": "y"}}}
    assert changed_names(old, template({"Fn": {"Code": CODE_V2, "Environment": env}},
                                       mappings=edited)) == {"Code", "Environment"}
    other = {"Endpoints": {**regions["Endpoints"],
                           "us-east-1": {"Host": "b.example", "Other": "z"}}}
    assert changed_names(old, template({"Fn": {"Code": CODE_V2, "Environment": env}},
                                       mappings=other)) == {"Code"}


# -- found in review: parameters that are not the template's to settle, cycles, odd shapes --


def test_a_nested_stacks_condition_is_not_decided_on_its_own_default(tmp_path: Path) -> None:
    """The parent passes ``Env: prod``; the child's ``Default: dev`` is not what deploys."""
    child = (
        "Parameters: {{Env: {{Type: String, Default: dev}}}}\n"
        "Conditions: {{IsProd: !Equals [!Ref Env, prod]}}\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Lambda::Function\n"
        "    Condition: IsProd\n"
        "    Properties:\n"
        "      Handler: app.handler\n"
        "      Role: arn:aws:iam::1:role/r\n"
        "      Runtime: python3.12\n"
        "      Code: {{S3Bucket: b, S3Key: {key}}}\n"
        "      Environment: {{Variables: {{MODE: '{mode}'}}}}\n"
    )
    parent = (
        "Resources:\n"
        "  Child:\n"
        "    Type: AWS::CloudFormation::Stack\n"
        "    Properties: {TemplateURL: child.yaml, Parameters: {Env: prod}}\n"
    )
    for side, key, mode in (("base", "v1.zip", "1"), ("head", "v2.zip", "2")):
        (tmp_path / side).mkdir()
        (tmp_path / side / "parent.yaml").write_text(parent, encoding="utf-8")
        (tmp_path / side / "child.yaml").write_text(child.format(key=key, mode=mode),
                                                    encoding="utf-8")
    report = run_check(CheckOptions(templates=(Path("head/parent.yaml"),),
                                    baselines=(Path("base/parent.yaml"),),
                                    working_directory=tmp_path), io.StringIO())
    assert rules_of(report) == [("LG001", "Fn")]


def test_an_ssm_parameter_is_not_its_path() -> None:
    """An SSM-typed parameter's default names a parameter store entry, read at deploy time:
    neither a condition on it nor a value read through it is decided on that name."""
    parameters = {"Env": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cfg/env"}}
    conditions = {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}}

    def side(code: dict[str, str], mode: str) -> dict[str, Any]:
        return template({"Fn": {"Code": code, "Condition": "IsProd",
                                "Environment": {"Variables": {"MODE": mode}}}},
                        parameters=parameters, conditions=conditions)

    assert rules_of(compare(side(CODE_V1, "a"), side(CODE_V2, "b"))) == [("LG001", "Fn")]
    literal = template({"Fn": {"Code": CODE_V1, "Environment": {"Variables": {"L": "/cfg/env"}}}})
    through = template({"Fn": {"Code": CODE_V1,
                               "Environment": {"Variables": {"L": {"Ref": "Env"}}}}},
                       parameters=parameters)
    assert changed_names(literal, through) == {"Environment"}


@pytest.mark.parametrize("body", [
    template({"Fn": {"Environment": {"Variables": {"A": {"Ref": "P"}}}}},
             parameters={"P": {"Type": "String", "Default": {"Ref": "P"}}}),
    template({"Fn": {"Environment": {"Variables": {"A": {"Fn::FindInMap": ["M", "a", "k"]}}}}},
             mappings={"M": {"a": {"k": {"Fn::FindInMap": ["M", "a", "k"]}}}}),
    template({"Fn": {"Environment": {"Variables": {"A": {"Fn::Select": ["²", ["x", "y"]]}}}}}),
])
def test_self_references_and_odd_indices_are_compared_as_written(body: dict[str, Any]) -> None:
    """Malformed on purpose: no crash, and a template compared with itself does not change."""
    assert changed_names(body, body) == set()


def test_properties_that_are_no_value_are_no_properties() -> None:
    body = template({})
    body["Resources"]["Fn"] = {"Type": "AWS::Lambda::Function",
                               "Properties": {"Ref": "AWS::NoValue"}}
    assert compare(body, body).findings == ()


def test_text_pieces_of_a_join_are_one_text_before_references_are_read() -> None:
    """``"$"`` and ``"{P}"`` joined are the text ``${P}``, not a reference to ``P``."""
    side = stack(template({"Fn": {}}, parameters={"P": {"Type": "String"}}))
    joined = {"Fn::Join": ["", ["$", "{P}", {"Ref": "AWS::Region"}]]}
    assert Resolver(side).value(joined) == {"Fn::Sub": "${!P}${AWS::Region}"}


def test_a_value_read_from_a_parameter_is_never_shown() -> None:
    """``Runtime: python3.11`` becoming ``!Ref Runtime``: the change is named, the parameter's
    value is not printed; literals on both sides are still shown."""
    old = template({"Fn": {"Code": CODE_V1, "Runtime": "python3.11"}})
    new = template({"Fn": {"Code": CODE_V2, "Runtime": {"Ref": "Runtime"}}},
                   parameters={"Runtime": {"Type": "String", "Default": "python3.12"}})
    (finding,) = compare(old, new).findings
    (runtime,) = [c for c in finding.changes if c.name == "Runtime"]
    assert runtime.detail is None and "python3.12" not in finding.message
    literal = template({"Fn": {"Code": CODE_V2, "Runtime": "python3.12"}})
    (finding,) = compare(old, literal).findings
    (runtime,) = [c for c in finding.changes if c.name == "Runtime"]
    assert runtime.detail == "python3.11 → python3.12"
