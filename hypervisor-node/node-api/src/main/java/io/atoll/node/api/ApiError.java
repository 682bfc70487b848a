package io.atoll.node.api;

/**
 * The JSON body of every error answer.
 *
 * @param code a stable code from {@link NodeErrorCode}
 * @param message what went wrong and how to fix it
 * @param object the object concerned ({@code vm 3f2a…}, {@code disk disk0}), or {@code null}
 */
public record ApiError(String code, String message, String object) {
}
